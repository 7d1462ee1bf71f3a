"""The request packet: the formal PDF a prosecutor signs and the requested state receives.

``values`` describes a packet as plain values, ``build`` makes those values from a request
and its rule table, and ``render`` turns them into PDF bytes. Nothing here reads the
database; ``mlat.services.packets`` does that.
"""
