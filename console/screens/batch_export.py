"""The batch screen's report: `e` asks where to write it (the exports directory, a name
of its own), then writes it (the command line's CSV) and says where."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.text import Text
from textual import work
from textual.widgets import Label

from console.batch.batch_run import BatchRun
from console.paths import exports_dir, file_error_problem
from console.safe_text import one_line
from console.screens.base import ConsoleScreen
from console.screens.save_path import SavePathScreen

EXPORT = "batch-export"


class ReportExport(ConsoleScreen[None]):
    """A screen showing `run` (once a file was chosen), whose report `e` exports."""

    def __init__(self) -> None:
        super().__init__()
        self.run: BatchRun | None = None

    def action_export(self) -> None:
        """Ask where to write the report (the exports directory, a name of its own)."""
        run = self.run
        if run is None or not self.check_action("export", ()):
            return
        moment = self.ctx.clock().astimezone(self.ctx.display_tz)
        default = exports_dir() / f"{run.path.stem}.report-{moment:%Y%m%d-%H%M%S}.csv"

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.export(run, path)

        self.app.push_screen(
            SavePathScreen(f"Export the report of {run.path.name}", default), chosen
        )

    @work(exclusive=True, group=EXPORT, exit_on_error=False)
    async def export(self, run: BatchRun, path: Path) -> None:
        try:
            await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
            count = await run.write_report(path)
        except OSError as error:
            problem = file_error_problem(error, path)
            self.notify(f"Cannot write {path}: {problem}", title="No report", severity="error")
            return
        shown = self.query_one("#batch-report", Label)
        shown.update(Text(one_line(f"Report ({count:,} rows) written to {path}")))
        shown.display = True
