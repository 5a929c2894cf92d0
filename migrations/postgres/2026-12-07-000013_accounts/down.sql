DROP TABLE security_log;
DROP TABLE account_links;
