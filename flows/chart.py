from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from viewflow.workflow import chart


def process_chart_svg(process) -> SafeString:
    """The flow's chart with the process' tasks coloured by status (viewflow's renderer)."""
    flow_class = process.flow_class
    grid = chart.calc_layout_data(flow_class)
    chart.calc_cell_status(flow_class, grid, process.pk)
    return mark_safe(chart.grid_to_svg(grid))
