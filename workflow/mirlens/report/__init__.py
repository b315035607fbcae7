"""The HTML report, its XLSX workbook and its figures (``mirlens report``)."""
