"""OpenAPI schema post-processing: the error answers every operation can give, and the links
between operations.

drf-spectacular documents the success answer of each operation (and what a view declares
itself). Every API operation can also answer with an error, always a JSON body that says
why in words (config/exceptions.py): a client, and the fuzzer that checks the schema
against the running API, must find those answers documented.
"""

ERROR_SCHEMA = {
    "type": "object",
    "description": "Why the request was refused, in words.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Field messages: each key is a field of the request (or non_field_errors, or detail "
        "for a body that could not be read), each value a list of messages or, for a nested "
        "field, an object of the same shape."
    ),
    "minProperties": 1,
    "additionalProperties": True,
}

_ERRORS = {
    "400": ("ValidationErrors", "The request is invalid: field messages say what to correct."),
    "401": ("Error", "No valid credentials were given."),
    "403": ("Error", "Your role does not allow this."),
    "404": ("Error", "Not found, or not visible to you (the two answer alike)."),
    "409": ("Error", "The current state of the object does not allow this."),
    "413": ("Error", "The request body is too large."),
    "415": ("Error", "The request body is not in a supported media type."),
    "429": ("Error", "Too many requests: try again after the number of seconds in Retry-After."),
}
_WRITE_ONLY_ERRORS = {"409", "413", "415"}
_WRITE_METHODS = {"post", "put", "patch", "delete"}
_RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."},
}

# Stateful links: a value from one operation's answer is the parameter of the next. The
# key is (path, method, status) of the source; each link names its target operation.
LINKS = {
    ("/api/v1/referrals/", "post", "201"): {
        "GetReferral": ("v1_referrals_retrieve", {"reference": "$response.body#/reference"}),
        "SubmitReferral": ("v1_referrals_submit_create", {"reference": "$response.body#/reference"}),
        "UpdateReferral": ("v1_referrals_update", {"reference": "$response.body#/reference"}),
        "ReferralChronology": ("v1_referrals_chronology_list",
                               {"reference": "$response.body#/reference"}),
    },
    ("/api/v1/handovers/", "post", "201"): {
        "GetHandover": ("v1_handovers_retrieve", {"reference": "$response.body#/reference"}),
        "HandoverMessages": ("v1_handovers_messages_list",
                             {"reference": "$response.body#/reference"}),
        "RevokeHandover": ("v1_handovers_revoke_create",
                           {"reference": "$response.body#/reference"}),
    },
}


def document_errors_and_links(result, generator, request, public):
    """drf-spectacular post-processing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_SCHEMA)
    schemas.setdefault("ValidationErrors", VALIDATION_ERROR_SCHEMA)
    operation_ids = {
        operation.get("operationId")
        for methods in result.get("paths", {}).values()
        for operation in methods.values()
    }
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            for code, (component, description) in _ERRORS.items():
                if code in _WRITE_ONLY_ERRORS and method not in _WRITE_METHODS:
                    continue
                if code == "401" and path == "/api/v1/auth/token/":
                    continue  # the token endpoint answers wrong credentials with 400
                response = responses.setdefault(code, {"description": description})
                response.setdefault("description", description)
                response.setdefault("content", {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}},
                })
                if code == "429":
                    response.setdefault("headers", _RETRY_AFTER)
            for (link_path, link_method, code), links in LINKS.items():
                if (link_path, link_method) != (path, method) or code not in responses:
                    continue
                responses[code]["links"] = {
                    name: {"operationId": target, "parameters": parameters}
                    for name, (target, parameters) in links.items()
                    if target in operation_ids
                }
    return result
