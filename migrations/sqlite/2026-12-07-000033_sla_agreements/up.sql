-- An SLA version is an agreement once each team with targets in it has accepted it: one of
-- the team's leads signs for the team, once per version (service::agreements). Who and when
-- are kept; a new version starts unsigned.
CREATE TABLE sla_signatures (
    sla_version INTEGER NOT NULL REFERENCES sla_versions (version),
    team_key TEXT NOT NULL REFERENCES teams (key),
    signed_by TEXT NOT NULL REFERENCES users (id),
    signed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (sla_version, team_key)
);
