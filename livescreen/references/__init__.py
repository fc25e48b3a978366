"""The essay's references: read its numbered list (`parse`), then find each in PubMed
(`resolve`), so the records the essay already cites can be set aside.
"""
