"""No input makes the server answer 500: random and malformed data thrown at every form.

Property-based (hypothesis). Each form is posted either as random fields (names from its
page, rows at random indexes such as ``identifiers-999-value``, names nobody expects) or
as the page filled it in with a few fields changed, dropped, sent twice or added, so that
the random values also reach the code behind a valid form (saving, the rule check, the
packet). Values are random text with control characters, huge strings, numbers and dates
at the ends of the calendar. Where a refusal can be checked, nothing was saved.

The property-based tests run on SQLite only (they check the views, not the database);
the plain examples of inputs that once failed ("found before") run on every backend.
``pytest --hypothesis-show-statistics`` shows the answers each test saw;
``FUZZ_SCALE=20 pytest tests/fuzz`` tries twenty times as many inputs.
"""
