/* The receipt form for evidence, progressively enhanced: when the officer records the
 * evidence with files chosen, each file is first sent in chunks, each chunk with its
 * SHA-256 (Content-Digest, RFC 9530), with a progress bar and a line of text per file
 * (announced politely, every tenth). A chunk that fails is sent again after a pause,
 * a few times; then the line says the connection broke and Resume goes on from what
 * the server says it holds. Each upload's address is remembered (localStorage) under
 * the request, the file's name, size and date, so that after a reload the same file
 * chosen again resumes. Once every file has arrived, the form is sent with the uploads
 * named (hidden "upload" fields) and the file field emptied.
 *
 * Without this file, or without fetch, Blob.slice or crypto.subtle (which needs
 * HTTPS), the form sends the files itself, as always. Its words come from the page
 * (data- attributes of #upload-progress); no inline script is used (the
 * Content-Security-Policy forbids it). */
(function () {
  "use strict";

  var form = document.querySelector("form[data-uploads]");
  var box = document.getElementById("upload-progress");
  if (!form || !box || !window.fetch || !window.Promise || !window.Blob ||
      !window.Blob.prototype.slice || !window.crypto || !window.crypto.subtle) {
    return;
  }
  var input = form.querySelector("input[type=file][name=files]");
  var list = box.querySelector(".upload-files");
  var resume = document.getElementById("upload-resume");
  var submit = form.querySelector("button[type=submit]");
  var token = form.querySelector("input[name=csrf_token]");
  var TRIES = 4;  /* each chunk; the pauses double from data-retry-ms on the form (1 s) */
  var busy = false;
  if (!input || !list || !resume || !token) {
    return;
  }

  function words(name, values) {
    return (box.getAttribute("data-" + name) || "").replace(/\{(\w+)\}/g, function (all, key) {
      return values && Object.prototype.hasOwnProperty.call(values, key) ? values[key] : all;
    });
  }

  function wait(ms) {
    return new Promise(function (resolve) { window.setTimeout(resolve, ms); });
  }

  /* The upload's address, remembered per request and file. */
  function key(file) {
    return ["mlat-upload", form.getAttribute("data-request"), file.name, file.size,
            file.lastModified].join(":");
  }

  function remembered(file) {
    try { return window.localStorage.getItem(key(file)); } catch (e) { return null; }
  }

  function remember(file, url) {
    try {
      if (url) { window.localStorage.setItem(key(file), url); }
      else { window.localStorage.removeItem(key(file)); }
    } catch (e) { /* private mode: a reload starts the file again */ }
  }

  /* A call of the upload protocol: {status, answer}; a page instead of JSON (the log-in
   * page, once the session has ended) is a refusal in words. */
  function call(method, url, body, headers) {
    var sent = { "X-CSRFToken": token.value, "X-Requested-With": "fetch",
                 "Accept": "application/json" };
    Object.keys(headers || {}).forEach(function (name) { sent[name] = headers[name]; });
    return window.fetch(url, {
      method: method, body: body, headers: sent, credentials: "same-origin"
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (response.status < 500 && response.status !== 204 && !json) {
        throw { words: words("session") };
      }
      return (json ? response.json() : Promise.resolve({})).then(function (answer) {
        return { status: response.status, answer: answer };
      });
    });
  }

  /* Send, again after a pause while the connection breaks, the server fails or the
   * chunk arrives damaged; ``handle`` turns an answer into a result, or throws. */
  function tries(job, send) {
    var count = 0;
    function once() {
      return send().catch(function (problem) {
        if (problem && problem.words && !problem.again) {
          throw problem;  /* refused: sending it again would not help */
        }
        count += 1;
        if (count >= TRIES) {
          throw { broke: true, words: problem && problem.words };
        }
        say(job, "retrying");
        var pause = parseInt(form.getAttribute("data-retry-ms"), 10) || 1000;
        return wait(pause * Math.pow(2, count - 1)).then(once);
      });
    }
    return once();
  }

  function refusal(got) {
    return { words: (got.answer && got.answer.error) || words("session") };
  }

  function say(job, what) {
    var percent = job.size ? Math.floor(100 * job.received / job.size) : 100;
    job.bar.value = what === "done" ? job.bar.max : job.received;
    var tenth = what === "progress" ? Math.floor(percent / 10) : -1;
    if (tenth !== -1 && tenth === job.tenth) {
      return;  /* the bar moves; the words, read aloud, every tenth */
    }
    job.tenth = tenth;  /* after other words, the next progress is said again */
    job.text.textContent = words(what, { name: job.file.name, percent: percent,
                                         reason: job.reason || "" });
  }

  function adopt(job, state) {
    job.url = state.url;
    job.id = state.id;
    job.chunkSize = state.chunk_size;
    job.received = state.received;
    job.complete = state.complete;
  }

  /* The upload this file resumes, when the server still has it; else a new one. */
  function open(job) {
    var known = remembered(job.file);
    var asked = known ? tries(job, function () {
      return call("GET", known).then(function (got) {
        if (got.status >= 500) { throw { again: true }; }
        return got;
      });
    }) : Promise.resolve({ status: 404 });
    return asked.then(function (got) {
      var state = got.answer || {};
      if (got.status === 200 && state.size === job.file.size) {
        adopt(job, state);
        return null;
      }
      remember(job.file, null);
      return tries(job, function () {
        return call("POST", form.getAttribute("data-uploads"),
                    JSON.stringify({ filename: job.file.name, size: job.file.size }),
                    { "Content-Type": "application/json" }).then(function (made) {
          if (made.status >= 500) { throw { again: true }; }
          if (made.status !== 201) { throw refusal(made); }
          adopt(job, made.answer);
          remember(job.file, made.answer.url);
          return null;
        });
      });
    });
  }

  function base64(buffer) {
    return window.btoa(String.fromCharCode.apply(null, new Uint8Array(buffer)));
  }

  /* The chunk the server expects next, read, hashed and put; the state it answers. */
  function putNext(job) {
    var n = Math.floor(job.received / job.chunkSize);
    var end = Math.min(job.file.size, (n + 1) * job.chunkSize);
    return new window.Response(job.file.slice(n * job.chunkSize, end)).arrayBuffer()
      .then(function (bytes) {
        return window.crypto.subtle.digest("SHA-256", bytes).then(function (digest) {
          return call("PUT", job.url + "/chunks/" + n, bytes, {
            "Content-Type": "application/octet-stream",
            "Content-Digest": "sha-256=:" + base64(digest) + ":"
          });
        });
      }).then(function (got) {
        if (got.status === 200) {
          return got.answer;
        }
        if (got.answer && typeof got.answer.received === "number") {
          adopt(job, got.answer);  /* 409: the server holds another amount; go on from it */
        }
        if (got.status === 409 || got.status === 400 || got.status >= 500) {
          throw { again: true, words: got.answer && got.answer.error };
        }
        throw refusal(got);
      });
  }

  function send(job) {
    if (job.complete) {
      say(job, "done");
      return Promise.resolve();
    }
    return tries(job, function () { return putNext(job); }).then(function (state) {
      adopt(job, state);
      say(job, "progress");
      return send(job);
    });
  }

  function row(file) {
    var item = document.createElement("li");
    var bar = document.createElement("progress");
    var text = document.createElement("span");
    bar.max = file.size || 1;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    item.appendChild(bar);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(text);
    list.appendChild(item);
    return { file: file, bar: bar, text: text, size: file.size, received: 0, tenth: -1 };
  }

  function finish(jobs) {
    jobs.forEach(function (job) {
      remember(job.file, null);  /* named by the form from now on, kept if it comes back */
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = "upload";
      field.value = job.id;
      form.appendChild(field);
    });
    var status = document.createElement("li");
    status.textContent = words("recording");
    list.appendChild(status);
    input.disabled = false;
    input.value = "";  /* the files have arrived: the form names them instead */
    HTMLFormElement.prototype.submit.call(form);
  }

  function start(files) {
    busy = true;
    box.hidden = false;
    resume.hidden = true;
    list.textContent = "";
    input.disabled = true;
    if (submit) { submit.disabled = true; }
    var jobs = files.map(row);
    jobs.reduce(function (done, job) {
      return done.then(function () {
        return open(job).then(function () {
          say(job, "progress");
          return send(job);
        }).catch(function (problem) {
          job.reason = (problem && problem.words) || "";
          /* broke: Resume is offered; with the server's words when it gave some */
          say(job, problem && problem.broke && !job.reason ? "broke" : "refused");
          throw problem;
        });
      });
    }, Promise.resolve()).then(function () {
      finish(jobs);
    }).catch(function (problem) {
      busy = false;
      input.disabled = false;
      if (submit) { submit.disabled = false; }
      resume.hidden = !(problem && problem.broke);
      if (!resume.hidden) { resume.focus(); }
    });
  }

  form.addEventListener("submit", function (event) {
    var files = Array.prototype.slice.call(input.files || []);
    if (busy) {
      event.preventDefault();
      return;
    }
    if (!files.length) {
      return;  /* nothing to send ahead: the form goes as it is */
    }
    event.preventDefault();
    start(files);
  });

  resume.addEventListener("click", function () {
    var files = Array.prototype.slice.call(input.files || []);
    if (!busy && files.length) {
      start(files);
    }
  });
}());
