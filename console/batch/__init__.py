"""Batches of refunds or payments from a CSV file, UI-free (the CLI and the console share
it; no Textual here).

- `csv_file`: the file's records (UTF-8 with or without BOM, comma or semicolon, quoted as
  spreadsheets quote), numbered as a spreadsheet numbers rows; `rows`: each record as a
  typed `RefundRow` or `PaymentRow`, or its problems; `batch_file.BatchFile`: the whole
  file, streamed, as rows and problems (repeated rows included).
- `refund_plan`: refund rows against their payments' `RefundFigures` (not found, not
  refundable, several rows summed against what remains), and `resolve_refund`: the
  exact amount a row refunds (an empty amount: what remains).
- `problems`: the typed `Problem`s and `render_problems`; `totals`: per currency, and the
  typed confirmation; `identity`: the batch's identity and each row's idempotency key;
  `report`: the report CSV.
"""
