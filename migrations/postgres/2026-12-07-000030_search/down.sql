DROP TABLE request_search;
