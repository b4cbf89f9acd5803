package app_test

import (
	"fmt"
	"strings"

	"github.com/computeladder/computeladder/app"
)

func ExamplePriceCart() {
	cart, err := app.ParseCart(strings.NewReader(`{
		"items": [
			{"sku": "TEA-1", "quantity": 2, "unit_price_cents": 1299},
			{"sku": "MUG-7", "quantity": 1, "unit_price_cents": 850}
		],
		"discount_code": "SAVE10",
		"region": "CA"
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	q, err := app.PriceCart(cart)
	if err != nil {
		fmt.Println(err)
		return
	}
	// 10% of 34.48 is 3.448, rounded half up to 3.45; 7.25% tax on 31.03
	// is 2.249675, rounded to 2.25.
	fmt.Println(q.SubtotalCents, q.DiscountCents, q.TaxCents, q.TotalCents)

	_, err = app.PriceCart(app.Cart{Items: cart.Items, Region: "ZZ"})
	fmt.Println(err)
	// Output:
	// 3448 345 225 3328
	// unknown_region: unknown region "ZZ"; use one of CA, NY, OR, TX, WA
}
