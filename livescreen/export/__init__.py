"""Exports: RIS for reference managers, PRISMA counts and diagram, the HTML report. All
read `results/screening/screening.json`, never the reviewer-facing tables.
"""
