DROP TABLE sla_signatures;
