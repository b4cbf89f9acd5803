// Package furl is the function side of the Lambda Function URL mapping:
// Handler turns each event (payload version 2.0, the same JSON shape as an
// API Gateway HTTP API payload v2) into an *http.Request for a plain
// http.Handler, and its response into the response event, in BUFFERED
// invoke mode. The other side, HTTP to event and back as the Function URL
// front end does it, is package furl/frontend.
//
// aws-lambda-go's lambdaurl package would do the first half, but it answers
// with a streaming response, which the emulator and a BUFFERED Function URL
// do not accept.
package furl
