DROP TABLE search_pending;
