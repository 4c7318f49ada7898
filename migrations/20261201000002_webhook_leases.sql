-- Live leases per endpoint, counted when leasing so that an endpoint never has
-- more than its max_in_flight deliveries in flight across every instance.
-- Small: only deliveries leased now (or whose lease expired unnoticed) are in it.
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (endpoint_id, lease_until) WHERE lease_until > 0;
