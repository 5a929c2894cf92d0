DROP TABLE request_links;
