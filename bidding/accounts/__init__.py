"""Accounts (账户) of party staff, operators and supervisors: password log-in, lock-out, audit.

Certificate log-in (a signed one-time challenge, ``bidding.certificates``) will sit beside the
password and end in the same account.
"""
