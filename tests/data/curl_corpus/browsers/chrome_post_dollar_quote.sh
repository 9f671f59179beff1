curl 'http://localhost:28139/api/comments' \
  -H 'accept: */*' \
  -H 'content-type: application/json' \
  -H 'user-agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36' \
  --data-raw $'{"text":"it\'s caf\u00e9 \\"quoted\\"\\nnext line"}'
