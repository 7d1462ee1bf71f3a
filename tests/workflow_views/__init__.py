"""The workflow as people use it in the browser: the review page, the action buttons on the
request page, and what they see when a step is refused or fails."""
