curl 'http://localhost:28139/upload' \
  -H 'Accept: */*' \
  -H 'Content-Type: multipart/form-data; boundary=----WebKitFormBoundaryx8ZkQ0aQ4nTdJ2Lp' \
  -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36' \
  --data-raw $'------WebKitFormBoundaryx8ZkQ0aQ4nTdJ2Lp\r\nContent-Disposition: form-data; name="title"\r\n\r\nholiday\r\n------WebKitFormBoundaryx8ZkQ0aQ4nTdJ2Lp--\r\n' \
  --compressed
