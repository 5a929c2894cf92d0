DROP TABLE leases;
DROP TABLE service_keys;
