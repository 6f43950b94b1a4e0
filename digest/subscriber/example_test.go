package subscriber_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/digest-newsletter/digest/digest/subscriber"
)

func ExampleNewReader() {
	list := subscriber.NewReader(strings.NewReader(
		"Email;Name;Topics;Company\n"+
			"ada@example.com;Ada Lovelace;go|rust;Analytical Engines\n"+
			"bob@@example.com;Bob;;\n"), "subscribers.csv")
	for sub, err := range list.Subscribers(context.Background()) {
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(sub.Line, sub.Email, sub.Name, sub.Topics, sub.Attrs["company"])
	}
	// Output:
	// 2 ada@example.com Ada Lovelace [go rust] Analytical Engines
	// subscribers.csv:3: email: "bob@@example.com" is not a valid address (more than one @)
}

func ExampleCheck() {
	list := subscriber.NewReader(strings.NewReader(
		"email,status,cadence\n"+
			"ada@example.com,active,weekly\n"+
			"grace@example.org,unsubscribed,\n"+
			"ADA@example.com,,\n"), "subscribers.csv")
	s, errs := subscriber.Check(context.Background(), list)
	subscriber.WriteReport(os.Stdout, s, errs)
	// Output:
	// subscribers: 3 rows: 1 mailable (1 weekly, 0 with topics), 1 unsubscribed, 0 bounced, 1 invalid
	// subscribers.csv:4: email: "ADA@example.com" is a duplicate of line 2
}
