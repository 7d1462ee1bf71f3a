"""What the audit trail records: the closed set of actions and outcomes.

A module of its own, without imports from the rest of the app, so that services, views
and the command line name actions alike. The values are the strings stored in
``audit_entry.action`` and ``audit_entry.outcome``.
"""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    login = "login"
    logout = "logout"
    user_create = "user.create"
    user_update = "user.update"
    user_password_change = "user.password_change"
    user_password_reset = "user.password_reset"
    user_two_factor_enabled = "user.two_factor_enabled"
    user_two_factor_reset = "user.two_factor_reset"
    user_recovery_codes = "user.recovery_codes"
    unit_create = "unit.create"
    unit_update = "unit.update"
    request_view = "request.view"
    request_search = "request.search"
    request_create = "request.create"
    request_edit = "request.edit"
    request_import = "request.import"
    request_export = "request.export"
    # One per step of the workflow table (``mlat.workflow``), as ``request.<action>``.
    request_submit = "request.submit"
    request_approve = "request.approve"
    request_return = "request.return"
    request_sign = "request.sign"
    request_transmit = "request.transmit"
    request_acknowledge = "request.acknowledge"
    request_execute_partly = "request.execute_partly"
    request_execute = "request.execute"
    request_refuse = "request.refuse"
    request_withdraw = "request.withdraw"
    request_close = "request.close"
    request_edit_after_approval = "request.edit_after_approval"
    request_edit_in_review = "request.edit_in_review"
    annex_upload = "annex.upload"
    annex_remove = "annex.remove"
    annex_download = "annex.download"
    packet_prepare = "packet.prepare"
    packet_status = "packet.status"
    packet_download = "packet.download"
    packet_verify = "packet.verify"
    audit_export = "audit.export"
    statistics_export = "statistics.export"
    rule_report = "rule.report"
    rule_report_resolve = "rule.report_resolve"
    api_token_create = "api_token.create"
    api_token_revoke = "api_token.revoke"
    api_call = "api.call"
    """A call to the HTTP API, with the token's name (``mlat.views.api``)."""
    api_refused = "api.refused"
    """A token that was refused: unknown, expired, revoked or from an address not allowed."""
    webhook_create = "webhook.create"
    webhook_update = "webhook.update"
    webhook_rotate = "webhook.rotate"
    webhook_delete = "webhook.delete"
    webhook_replay = "webhook.replay"
    case_create = "case.create"
    case_update = "case.update"
    case_view = "case.view"
    case_attach = "case.attach"
    case_detach = "case.detach"
    case_share = "case.share"
    case_grant = "case.grant"
    case_unshare = "case.unshare"
    case_request_view = "case.request_view"
    case_jit = "case.jit"
    case_jit_agreement = "case.jit_agreement"
    evidence_receive = "evidence.receive"
    """A receipt of evidence recorded, with its files (``mlat.services.evidence``)."""
    evidence_custody = "evidence.custody"
    """An action on an evidence item: its chain of custody."""
    evidence_export = "evidence.export"
    """An evidence bundle exported: its files, recipient and signed manifest's digest."""
    evidence_verify = "evidence.verify"
    """An evidence bundle checked on the verification page."""
    evidence_destroy = "evidence.destroy"
    """An evidence item's content destroyed, with a second person's approval."""
    access_refused = "access.refused"
    """A 403 or 404 answered to a logged-in user (``mlat.views.refusals``)."""

    @classmethod
    def of_step(cls, action: str) -> AuditAction:
        """The entry a workflow step writes (``submit`` -> ``request.submit``)."""
        return cls(f"request.{action}")


class Outcome(StrEnum):
    success = "success"
    failure = "failure"
    denied = "denied"
