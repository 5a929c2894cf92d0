DELETE FROM counters WHERE name = 'config';
