"""The wire contract of the Payment Processing API, shared by the client, the sandbox and
the config: `models` (requests, answers, `describe`/`field_errors`), `idempotency` (the one
Idempotency-Key rule) and `base_url` (the one base-URL rule). No HTTP, no UI."""
