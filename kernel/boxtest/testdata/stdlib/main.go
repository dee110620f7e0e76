// Command stdlib is the standard-library workload of issue 22's done-when
// line: big numbers, gzip, JSON, regexp, go/parser, goroutines and
// templates, with the garbage collector running under all of them. Every
// line it prints depends only on its input, never on the clock, the
// machine or the scheduler, so a goxen guest must print exactly what the
// same program prints on Linux. Built with -tags native it leaves the
// kernel out: a Linux program, which the box test runs on the host to
// compare (TestStdlibPVLikeLinux).
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	htmltemplate "html/template"
	"io"
	"math/big"
	"math/rand"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"text/template"
)

func main() {
	fmt.Println("stdlib: begin")
	bigNumbers()
	gzipRoundTrip()
	jsonRoundTrip()
	regexps()
	goParser()
	goroutines()
	templates()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	fmt.Printf("gc: ran %v\n", ms.NumGC > 0)
	fmt.Println("stdlib: done")
}

// digest is a short, printable fingerprint of b.
func digest(b []byte) string { return fmt.Sprintf("%x", sha256.Sum256(b))[:16] }

func bigNumbers() {
	f := big.NewInt(1)
	for i := int64(2); i <= 200; i++ {
		f.Mul(f, big.NewInt(i))
	}
	s := f.String()
	fmt.Printf("big: 200! has %d digits, starts %s, digest %s\n", len(s), s[:20], digest([]byte(s)))

	a, b := big.NewInt(0), big.NewInt(1)
	for i := 0; i < 1000; i++ {
		a.Add(a, b)
		a, b = b, a
	}
	fmt.Printf("big: fib(1000) = %s...%s\n", a.String()[:15], a.String()[len(a.String())-15:])

	// π to 100 digits by Machin's formula in fixed point.
	unit := new(big.Int).Exp(big.NewInt(10), big.NewInt(110), nil)
	pi := new(big.Int).Mul(big.NewInt(16), arctanInv(5, unit))
	pi.Sub(pi, new(big.Int).Mul(big.NewInt(4), arctanInv(239, unit)))
	fmt.Printf("big: pi = %s\n", pi.String()[:101])

	m := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 521), big.NewInt(1))
	fmt.Printf("big: 2^521-1 prime %v, 2^523-1 prime %v\n", m.ProbablyPrime(20),
		new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 523), big.NewInt(1)).ProbablyPrime(20))
	inv := new(big.Int).ModInverse(big.NewInt(65537), new(big.Int).Sub(m, big.NewInt(1)))
	fmt.Printf("big: 65537^-1 mod 2^521-2 = %v\n", inv)

	h := new(big.Rat)
	for i := int64(1); i <= 30; i++ {
		h.Add(h, big.NewRat(1, i))
	}
	fmt.Printf("big: H(30) = %s\n", h)
	sq := new(big.Float).SetPrec(300).SetInt64(2)
	fmt.Printf("big: sqrt(2) = %s\n", sq.Sqrt(sq).Text('f', 80))
}

// arctanInv is arctan(1/x) * unit, by its Taylor series.
func arctanInv(x int64, unit *big.Int) *big.Int {
	sum := new(big.Int).Div(unit, big.NewInt(x))
	term := new(big.Int).Set(sum)
	x2 := big.NewInt(x * x)
	for n := int64(3); term.Sign() != 0; n += 2 {
		term.Div(term, x2)
		t := new(big.Int).Div(term, big.NewInt(n))
		if n%4 == 3 {
			sum.Sub(sum, t)
		} else {
			sum.Add(sum, t)
		}
	}
	return sum
}

// text is n bytes of words drawn by a seeded generator: compressible,
// and the same on every run.
func text(n int, seed int64) []byte {
	words := strings.Fields("xen guest kernel page grant event channel ring frame domain hypercall vcpu store watch")
	r := rand.New(rand.NewSource(seed))
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.Intn(len(words))])
		if r.Intn(12) == 0 {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.Bytes()[:n]
}

func gzipRoundTrip() {
	in := text(256<<10, 22)
	for _, level := range []int{gzip.BestSpeed, gzip.DefaultCompression, gzip.BestCompression} {
		var z bytes.Buffer
		w, _ := gzip.NewWriterLevel(&z, level)
		w.Name = "words.txt"
		w.Write(in)
		w.Close()
		packed, sum := z.Len(), digest(z.Bytes())
		r, err := gzip.NewReader(&z)
		if err != nil {
			fmt.Printf("gzip: level %d: %v\n", level, err)
			continue
		}
		out, err := io.ReadAll(r)
		fmt.Printf("gzip: level %d: %d -> %d bytes (digest %s), back %d bytes, equal %v, err %v, name %q\n",
			level, len(in), packed, sum, len(out), bytes.Equal(in, out), err, r.Name)
	}
}

type record struct {
	Name    string             `json:"name"`
	Count   int                `json:"count"`
	Ratio   float64            `json:"ratio"`
	Tags    []string           `json:"tags,omitempty"`
	Limits  map[string]uint64  `json:"limits"`
	Nested  *record            `json:"nested,omitempty"`
	Skipped string             `json:"-"`
	Scores  map[string]float64 `json:"scores,omitempty"`
}

func jsonRoundTrip() {
	rs := make([]record, 200)
	for i := range rs {
		rs[i] = record{Name: fmt.Sprintf("dom%d <&>", i), Count: i * i, Ratio: float64(i) / 7,
			Tags: []string{"pv", strings.Repeat("x", i%5)}, Limits: map[string]uint64{"mem": uint64(i) << 20, "vcpus": uint64(i%4 + 1)},
			Skipped: "never"}
		if i%10 == 0 {
			rs[i].Nested = &record{Name: "inner", Scores: map[string]float64{"a": 1.5, "b": -0.25, "c": 1e300}}
		}
	}
	b, err := json.Marshal(rs)
	fmt.Printf("json: %d records, %d bytes, digest %s, err %v\n", len(rs), len(b), digest(b), err)
	var back []record
	err = json.Unmarshal(b, &back)
	fmt.Printf("json: back %d records, record 30 %q count %d ratio %v nested %v, err %v\n",
		len(back), back[30].Name, back[30].Count, back[30].Ratio, back[30].Nested.Scores, err)
	var any []map[string]interface{}
	json.Unmarshal(b, &any)
	ind, _ := json.MarshalIndent(any[7], "", "  ")
	fmt.Printf("json: record 7 indented:\n%s\n", ind)
	var bad struct{ N int }
	err = json.Unmarshal([]byte(`{"N": "seven"}`), &bad)
	fmt.Printf("json: a bad document: %v\n", err)
}

func regexps() {
	in := string(text(64<<10, 7))
	re := regexp.MustCompile(`\b(g\w+) (\w+)\b`)
	all := re.FindAllStringSubmatchIndex(in, -1)
	fmt.Printf("regexp: %d matches of %s, first at %v\n", len(all), re, all[0])
	counts := map[string]int{}
	for _, m := range re.FindAllStringSubmatch(in, -1) {
		counts[m[1]]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("regexp:   %s %d\n", k, counts[k])
	}
	out := re.ReplaceAllString(in, "$2-$1")
	fmt.Printf("regexp: replaced, %d bytes, digest %s\n", len(out), digest([]byte(out)))
	email := regexp.MustCompile(`^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$`)
	for _, s := range []string{"xen@example.org", "not an address", "a.b@c.de"} {
		fmt.Printf("regexp: %q is an address: %v\n", s, email.MatchString(s))
	}
	_, err := regexp.Compile(`a(b`)
	fmt.Printf("regexp: a bad pattern: %v\n", err)
}

const goSource = `package demo

import ("fmt"; "strings")

// Greet says hello.
func Greet(names ...string) string { return "hello, " + strings.Join(names, ", ") }

type Point struct { X, Y int }

func (p Point) Add(q Point) Point { return Point{p.X+q.X, p.Y+q.Y} }

func main() {
	for i := 0; i < 3; i++ { fmt.Println(Greet("a", "b"), Point{i, i}.Add(Point{1, 2})) }
	switch x := 4; {
	case x > 3: fmt.Println("big")
	default: fmt.Println("small") }
}
`

func goParser() {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "demo.go", goSource, parser.ParseComments)
	if err != nil {
		fmt.Printf("go/parser: %v\n", err)
		return
	}
	kinds := map[string]int{}
	ast.Inspect(f, func(n ast.Node) bool {
		if n != nil {
			kinds[fmt.Sprintf("%T", n)]++
		}
		return true
	})
	keys := make([]string, 0, len(kinds))
	for k := range kinds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", strings.TrimPrefix(k, "*ast."), kinds[k]))
	}
	fmt.Printf("go/parser: %s\n", strings.Join(parts, " "))
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok {
			fmt.Printf("go/parser: func %s at %s, %d statements\n", fd.Name, fset.Position(fd.Pos()), len(fd.Body.List))
		}
	}
	src, err := format.Source([]byte(goSource))
	fmt.Printf("go/format: %d -> %d bytes, digest %s, err %v\n", len(goSource), len(src), digest(src), err)
	fmt.Printf("go/format: line 5 is %q\n", strings.Split(string(src), "\n")[5])
	_, err = parser.ParseFile(fset, "bad.go", "package x\nfunc (", 0)
	fmt.Printf("go/parser: a bad file: %v\n", err)
}

// goroutines runs a pipeline (generator, 16 workers, a collector) and a
// mutex-guarded counter over 1000 goroutines; the results do not depend
// on the order in which they ran.
func goroutines() {
	jobs := make(chan int)
	results := make(chan [2]int, 64)
	go func() {
		for i := 1; i <= 5000; i++ {
			jobs <- i
		}
		close(jobs)
	}()
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				sum := sha256.Sum256([]byte(fmt.Sprint(j)))
				results <- [2]int{j, int(sum[0])}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	got := make([]int, 5001)
	total := 0
	for r := range results {
		got[r[0]] = r[1]
		total += r[1]
	}
	fmt.Printf("goroutines: 5000 jobs over 16 workers, total %d, job 4321 -> %d\n", total, got[4321])

	var mu sync.Mutex
	counter := 0
	var wg2 sync.WaitGroup
	for i := 0; i < 1000; i++ {
		wg2.Add(1)
		go func(i int) {
			defer wg2.Done()
			runtime.Gosched()
			mu.Lock()
			counter += i
			mu.Unlock()
		}(i)
	}
	wg2.Wait()
	fmt.Printf("goroutines: 1000 goroutines added %d\n", counter)

	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	v := 0
	for i := 0; i < 10000; i++ {
		ping <- v
		v = <-pong
	}
	close(ping)
	fmt.Printf("goroutines: ping-pong 10000 rounds, value %d\n", v)
}

type page struct {
	Title string
	Items []item
}

type item struct {
	Name  string
	Price float64
	Tags  []string
}

func templates() {
	p := page{Title: "Guests <&> \"quoted\"", Items: []item{
		{"dom1", 1.5, []string{"pv"}}, {"<script>alert(1)</script>", 20, nil}, {"dom3", 0.125, []string{"pvh", "dom0"}}}}
	t := template.Must(template.New("t").Funcs(template.FuncMap{"upper": strings.ToUpper, "join": strings.Join}).Parse(
		`{{.Title}}: {{len .Items}} items{{range $i, $e := .Items}}
  {{$i}}. {{upper .Name}} {{printf "%.2f" .Price}}{{if .Tags}} [{{join .Tags ","}}]{{else}} (no tags){{end}}{{end}}
`))
	var b bytes.Buffer
	err := t.Execute(&b, p)
	fmt.Printf("text/template: err %v\n%s", err, b.String())
	h := htmltemplate.Must(htmltemplate.New("h").Parse(
		`<h1>{{.Title}}</h1><ul>{{range .Items}}<li title="{{.Name}}"><a href="/g?n={{.Name}}">{{.Name}}</a></li>{{end}}</ul>`))
	b.Reset()
	err = h.Execute(&b, p)
	fmt.Printf("html/template: err %v\n%s\n", err, b.String())
	_, err = template.New("bad").Parse("{{.Title")
	fmt.Printf("text/template: a bad template: %v\n", err)
}
