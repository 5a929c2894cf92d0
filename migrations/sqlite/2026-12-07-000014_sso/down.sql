DROP TABLE identities;
DROP TABLE sso_logins;
