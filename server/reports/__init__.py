"""Reports for supervisors and managers, read from the event log.

``tickets``: figures over a date range (issued, served, waits, service times, ratings, pauses),
grouped by service, zone, window, clerk, hour or day, each traceable to its tickets;
``query``: the report's parameters, checked; ``csv_out``: the same figures as a CSV file that
opens in a spreadsheet. Plain Python over a SQLAlchemy session, like the queue engine.
"""
