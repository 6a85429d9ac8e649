"""Parties (主体): the organisations and persons that act on the platform, and their registration."""
