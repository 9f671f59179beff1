curl 'http://localhost:28139/api/items/42' \
  -X 'DELETE' \
  -H 'accept: application/json' \
  -H 'x-csrf-token: 9b1d4c' \
  -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36' \
  --compressed
