DROP TABLE request_facts;
