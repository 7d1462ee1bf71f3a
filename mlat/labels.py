"""The words for the app's enumerated values (states of a request, measures, channels,
thresholds...), in English and marked for translation; ``mlat.i18n.label`` gives them in
the user's language. A module of the lowest layer, so that the rule checks can word their
messages without Flask."""

from __future__ import annotations

from mlat.messages import N_

STATUS_LABELS = {
    "draft": N_("Draft"),
    "in_review": N_("In review"),
    "returned": N_("Returned"),
    "approved": N_("Approved"),
    "signed": N_("Signed"),
    "transmitted": N_("Transmitted"),
    "acknowledged": N_("Acknowledged"),
    "partially_executed": N_("Partially executed"),
    "executed": N_("Executed"),
    "refused": N_("Refused"),
    "withdrawn": N_("Withdrawn"),
    "closed": N_("Closed"),
}


MEASURE_LABELS = {
    "preservation": N_("Preservation of data"),
    "subscriber_info": N_("Subscriber information"),
    "traffic_data": N_("Traffic data"),
    "stored_content": N_("Stored content"),
    "realtime_traffic": N_("Real-time collection of traffic data"),
    "interception": N_("Interception of content"),
    "search_seizure": N_("Search and seizure"),
    "witness_statement": N_("Witness statement"),
    "video_hearing": N_("Hearing by video conference"),
    "bank_records": N_("Bank records"),
    "service_of_documents": N_("Service of documents"),
    "asset_freezing": N_("Freezing of assets"),
}

CHANNEL_LABELS = {
    "central_authority": N_("Central authority to central authority"),
    "diplomatic": N_("Diplomatic channel"),
    "interpol": N_("Interpol"),
    "network_24_7": N_("24/7 network"),
    "direct_provider": N_("Directly to the service provider"),
    "online_portal": N_("Online portal"),
}

THRESHOLD_LABELS = {
    "none": N_("No particular threshold"),
    "relevance": N_("Relevance to the investigation"),
    "reasonable_grounds": N_("Reasonable grounds"),
    "specific_articulable_facts": N_("Specific and articulable facts"),
    "probable_cause": N_("Probable cause"),
}

DUAL_CRIMINALITY_LABELS = {
    "never": N_("Not required"),
    "coercive_only": N_("Required for coercive measures only"),
    "always": N_("Always required"),
}

SEVERITY_LABELS = {
    "error": N_("Must be fixed"),
    "warning": N_("Advice"),
    "info": N_("Note"),
}

PROVENANCE_LABELS = {
    "verified": N_("Verified against a primary source"),
    "secondary": N_("Checked against a secondary source only"),
    "stale": N_("Verification older than 12 months"),
    "unverified": N_("Unverified: not yet confirmed against a source"),
}
DECLARATION_LABELS = {
    "central_authority": N_("Central authority"),
    "urgent_means": N_("Urgent requests by expedited means"),
    "dual_criminality": N_("Dual criminality"),
    "contact_24_7": N_("24/7 point of contact"),
    "language": N_("Languages of requests"),
    "other": N_("Declaration"),
}
SOURCE_KIND_LABELS = {
    "primary": N_("primary source"),
    "secondary": N_("secondary source: a copy or a commentary"),
}

PROCEEDINGS_LABELS = {
    "investigation": N_("Investigation"),
    "prosecution": N_("Prosecution"),
    "trial": N_("Trial"),
}
PERSON_ROLE_LABELS = {
    "suspect": N_("Suspect"),
    "victim": N_("Victim"),
    "witness": N_("Witness"),
    "other": N_("Other"),
}
IDENTIFIER_LABELS = {
    "ip": N_("IP address"),
    "email": N_("E-mail address"),
    "phone": N_("Phone number"),
    "account": N_("Account or user name"),
    "domain": N_("Domain name"),
    "url": N_("Web address (URL)"),
    "crypto_wallet": N_("Crypto-wallet address"),
    "device": N_("Device (IMEI, serial number)"),
}
ANNEX_LABELS = {
    "offence_text": N_("Text of the offence provisions"),
    "judicial_order": N_("Court order or warrant"),
    "translation": N_("Translation"),
    "evidence": N_("Evidence"),
    "other": N_("Other"),
}
RESPONSE_LABELS = {
    "email": N_("By e-mail"),
    "post": N_("By post"),
    "fax": N_("By fax"),
    "phone": N_("By phone"),
    "network_24_7": N_("Through the 24/7 network"),
}
ASSURANCE_LABELS = {
    "death_penalty": N_("The death penalty will not be sought or carried out"),
    "speciality": N_("The evidence will be used only for the purpose stated (speciality)"),
    "data_protection": N_("Personal data will be protected"),
    "life_imprisonment": N_("Life imprisonment without review will not be imposed"),
}

# What each field a rule table can require of a request is, in words (``RequiredField``).
REQUIRED_FIELD_LABELS = {
    "facts": N_("a summary of the facts"),
    "nexus": N_("the link between the evidence and the offence"),
    "offences": N_("each offence with its statutory provision"),
    "identifiers": N_("the identifiers concerned"),
    "identifier_timestamps": N_("the exact time and time zone of each IP address"),
    "provider": N_("the service provider holding the data"),
    "date_range": N_("a bounded date range"),
    "persons": N_("the persons concerned"),
    "details": N_("the details of the measure"),
    "procedures": N_("the procedures to follow"),
    "judicial_order": N_("a court order or warrant of your state, as an annex"),
}

FOREIGN_DISCLOSURE_LABELS = {
    "none": N_("Nothing: only through mutual legal assistance or an order its law recognises"),
    "subscriber": N_("Subscriber information"),
    "non_content": N_("Data other than content: subscriber information and logs"),
}
DATA_CATEGORY_LABELS = {
    "subscriber": N_("Subscriber information"),
    "ip_logs": N_("IP logs"),
    "content": N_("Content"),
    "deleted_content": N_("Deleted content"),
    "other": N_("Other data"),
}
ROLE_LABELS = {
    "officer": N_("Officer"),
    "reviewer": N_("Reviewer"),
    "prosecutor": N_("Prosecutor"),
    "admin": N_("Administrator of the unit"),
    "install_admin": N_("Installation administrator"),
}
# The states of a webhook delivery (``mlat.services.webhook_events.DeliveryStatus``).
DELIVERY_STATUS_LABELS = {
    "queued": N_("Queued"),
    "delivering": N_("Being sent"),
    "pending": N_("Failed, to be tried again"),
    "delivered": N_("Delivered"),
    "failed": N_("Failed"),
}

LABELS = {
    "status": STATUS_LABELS,
    "delivery_status": DELIVERY_STATUS_LABELS,
    "role": ROLE_LABELS,
    "measure": MEASURE_LABELS,
    "channel": CHANNEL_LABELS,
    "threshold": THRESHOLD_LABELS,
    "dual_criminality": DUAL_CRIMINALITY_LABELS,
    "provenance": PROVENANCE_LABELS,
    "source_kind": SOURCE_KIND_LABELS,
    "declaration": DECLARATION_LABELS,
    "severity": SEVERITY_LABELS,
    "proceedings": PROCEEDINGS_LABELS,
    "person_role": PERSON_ROLE_LABELS,
    "identifier": IDENTIFIER_LABELS,
    "annex": ANNEX_LABELS,
    "assurance": ASSURANCE_LABELS,
    "response": RESPONSE_LABELS,
    "required_field": REQUIRED_FIELD_LABELS,
    "foreign_disclosure": FOREIGN_DISCLOSURE_LABELS,
    "data_category": DATA_CATEGORY_LABELS,
}
