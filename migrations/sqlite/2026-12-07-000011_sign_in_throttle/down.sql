DROP TABLE sign_in_throttle;
