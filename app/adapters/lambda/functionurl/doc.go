// Package functionurl maps Lambda Function URL events to a plain
// http.Handler, on the function's side: Handler turns each event (payload
// version 2.0, the same JSON shape as an API Gateway HTTP API payload v2)
// into an *http.Request, and the handler's response into the response
// event, in BUFFERED invoke mode. The other side, HTTP to event and back as
// the Function URL front end does it, never ships in the function: the
// local emulator backend has it (deployers/rie/internal/frontend).
//
// aws-lambda-go's lambdaurl package would do the first half, but it answers
// with a streaming response, which the emulator and a BUFFERED Function URL
// do not accept.
package functionurl
