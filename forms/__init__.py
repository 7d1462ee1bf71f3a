"""WTForms classes, one per page or wizard step. Shared validators live in ``forms.validators``."""
