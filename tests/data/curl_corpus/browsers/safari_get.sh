curl 'http://localhost:28139/static/app.js?v=1.2.3' \
-X 'GET' \
-H 'Accept: */*' \
-H 'Referer: http://localhost:28139/' \
-H 'User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15'
