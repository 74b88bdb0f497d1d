"""The wire models, kept importable here: they live in `console.wire.models`, the contract
the client shares with the sandbox and the config."""

from __future__ import annotations

from console.wire.models import PAYMENT_STATUSES as PAYMENT_STATUSES
from console.wire.models import REFUND_STATUSES as REFUND_STATUSES
from console.wire.models import RESPONSE_AMOUNT_DIGITS as RESPONSE_AMOUNT_DIGITS
from console.wire.models import Amount as Amount
from console.wire.models import ErrorBody as ErrorBody
from console.wire.models import Payment as Payment
from console.wire.models import PaymentCreate as PaymentCreate
from console.wire.models import Refund as Refund
from console.wire.models import RefundCreate as RefundCreate
from console.wire.models import ResponseAmount as ResponseAmount
from console.wire.models import describe as describe
from console.wire.models import field_errors as field_errors
