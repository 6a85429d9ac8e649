"""The award (定标): the purchaser confirms the winning bidder, the agency issues the award notice and
the result notices (docs/award.md)."""
