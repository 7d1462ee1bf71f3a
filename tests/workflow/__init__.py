"""The workflow through ``mlat.services.workflow.transition``: who may do what in which state,
four eyes, approval pinned to the content approved, the inputs each step asks for, and no
half-done step when something fails in the middle."""
