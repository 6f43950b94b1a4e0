package summary

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/summary/stem"
)

// A Cache keeps blurbs between runs, so an article is sent to the model
// once. The SQLite store (digest/store) implements it.
type Cache interface {
	// LoadBlurb returns the blurb saved under key, or nil, nil when none is.
	LoadBlurb(ctx context.Context, key string) ([]string, error)
	SaveBlurb(ctx context.Context, key string, blurb []string) error
}

// LLM writes blurbs with a language model behind an OpenAI-compatible
// chat-completions endpoint. Each answer is checked against the article: an
// empty one, or one naming a number or a proper name the article does not
// contain, is rejected. On a rejection or any error (HTTP, timeout, bad
// JSON) the blurb comes from Fallback, and the reason is logged. Accepted
// blurbs are cached per model, article ID and text; fallback blurbs are not.
//
// Set the exported fields before the first call and do not change them
// after; the zero values of the optional ones are usable. LLM is safe for
// concurrent use, and at most Concurrency requests are in flight at once.
type LLM struct {
	URL   string // the chat completions URL, e.g. https://api.openai.com/v1/chat/completions
	Model string
	Key   string // sent as a bearer token when set

	Client      *http.Client  // nil: http.DefaultClient
	Timeout     time.Duration // per article, waiting for a slot included; 0: 30s
	Concurrency int           // requests at once; 0: 4

	// Options bound the blurb's length in the request; zero fields take
	// the defaults.
	Options  Options
	Cache    Cache             // may be nil
	Fallback digest.Summarizer // nil: errors are returned instead
	Logger   *slog.Logger      // nil: slog.Default()

	once sync.Once
	sem  chan struct{}
}

var _ digest.Summarizer = (*LLM)(nil)

// ErrUngrounded reports a model answer naming something the article does
// not contain.
var ErrUngrounded = errors.New("summary: blurb not grounded in the article")

// CacheKey is the key an article's blurb is cached under: the model, the
// article's ID and a hash of its text, so an edited article is summarized
// again.
func CacheKey(model string, a digest.Article) string {
	sum := sha256.Sum256([]byte(a.Text))
	return model + " " + a.ID + " " + hex.EncodeToString(sum[:12])
}

// Summarize returns the model's blurb of a, or Fallback's.
func (l *LLM) Summarize(ctx context.Context, a digest.Article) ([]string, error) {
	blurb, err := l.summarize(ctx, a)
	if err == nil {
		return blurb, nil
	}
	if l.Fallback == nil || ctx.Err() != nil {
		return nil, fmt.Errorf("summarize %s: %w", a.ID, err)
	}
	l.logger().Warn("model blurb rejected, using fallback", "article", a.ID, "model", l.Model, "err", err)
	return l.Fallback.Summarize(ctx, a)
}

func (l *LLM) logger() *slog.Logger {
	if l.Logger != nil {
		return l.Logger
	}
	return slog.Default()
}

func (l *LLM) summarize(ctx context.Context, a digest.Article) ([]string, error) {
	if strings.TrimSpace(a.Text) == "" {
		return nil, errors.New("article has no text")
	}
	key := CacheKey(l.Model, a)
	if l.Cache != nil {
		blurb, err := l.Cache.LoadBlurb(ctx, key)
		if err != nil {
			l.logger().Warn("blurb cache", "article", a.ID, "err", err)
		} else if blurb != nil {
			return blurb, nil
		}
	}
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	l.once.Do(func() {
		n := l.Concurrency
		if n <= 0 {
			n = 4
		}
		l.sem = make(chan struct{}, n)
	})
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	answer, err := l.ask(ctx, a)
	<-l.sem
	if err != nil {
		return nil, err
	}
	blurb := answerSentences(answer)
	if len(blurb) == 0 {
		return nil, errors.New("model gave an empty answer")
	}
	if err := grounded(blurb, a.Title+"\n"+a.Text); err != nil {
		return nil, err
	}
	if l.Cache != nil {
		if err := l.Cache.SaveBlurb(ctx, key, blurb); err != nil {
			l.logger().Warn("blurb cache", "article", a.ID, "err", err)
		}
	}
	return blurb, nil
}

// maxArticle caps the article text sent to the model, in bytes.
const maxArticle = 24 << 10

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model       string        `json:"model"`
	Messages    []chatMessage `json:"messages"`
	Temperature float64       `json:"temperature"`
}

type chatResponse struct {
	Choices []struct {
		Message chatMessage `json:"message"`
	} `json:"choices"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// ask sends one chat-completions request and returns the answer's text.
func (l *LLM) ask(ctx context.Context, a digest.Article) (string, error) {
	opts := l.Options.withDefaults()
	text := a.Text
	if len(text) > maxArticle {
		text = strings.ToValidUTF8(text[:maxArticle], "")
	}
	body, err := json.Marshal(chatRequest{
		Model: l.Model,
		Messages: []chatMessage{
			{Role: "system", Content: fmt.Sprintf("You write the blurbs of a newsletter digest. Summarize the article in at most %d plain sentences and about %d words in all, one sentence a line, no bullets, no heading. Use only facts the article states; keep names and numbers exactly as written there.", opts.Sentences, opts.Words)},
			{Role: "user", Content: "Title: " + a.Title + "\n\n" + text},
		},
	})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.URL, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("model request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if l.Key != "" {
		req.Header.Set("Authorization", "Bearer "+l.Key)
	}
	client := l.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("model request: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("model response: %w", err)
	}
	var cr chatResponse
	jsonErr := json.Unmarshal(raw, &cr)
	if resp.StatusCode != http.StatusOK {
		msg := resp.Status
		if jsonErr == nil && cr.Error != nil {
			msg += ": " + cr.Error.Message
		}
		return "", fmt.Errorf("model response: %s", msg)
	}
	if jsonErr != nil {
		return "", fmt.Errorf("model response: %w", jsonErr)
	}
	if len(cr.Choices) == 0 {
		return "", errors.New("model response: no choices")
	}
	return cr.Choices[0].Message.Content, nil
}

// answerSentences splits a model's answer into sentences, dropping list
// markers and blank lines.
func answerSentences(answer string) []string {
	var out []string
	for line := range strings.SplitSeq(answer, "\n") {
		line = strings.TrimSpace(line)
		line = strings.TrimLeft(line, "-*•")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		out = append(out, Split(line)...)
	}
	return out
}

// grounded checks that every number and every capitalized name in the
// blurb occurs in the article. Numbers are compared without thousands
// separators; names by their lower-case stem, so "Residents" matches
// "resident". A capitalized word opening a sentence is checked too, unless
// it is a common function word.
func grounded(blurb []string, article string) error {
	words, numbers := vocabulary(article)
	for _, s := range blurb {
		for i, tok := range strings.Fields(s) {
			w := strings.TrimFunc(tok, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
			w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "’s")
			if w == "" {
				continue
			}
			if n := number(w); n != "" {
				if !numbers[n] {
					return fmt.Errorf("%w: number %q", ErrUngrounded, w)
				}
				continue
			}
			r := []rune(w)
			if !unicode.IsUpper(r[0]) {
				continue
			}
			lw := strings.ToLower(w)
			if i == 0 && (stopWords[lw] || openerWords[w]) {
				continue
			}
			for part := range strings.FieldsFuncSeq(lw, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
				if !words[stemOf(part)] {
					return fmt.Errorf("%w: name %q", ErrUngrounded, w)
				}
			}
		}
	}
	return nil
}

// vocabulary returns the stems of the article's words and its numbers.
func vocabulary(text string) (words, numbers map[string]bool) {
	words, numbers = map[string]bool{}, map[string]bool{}
	for tok := range strings.FieldsSeq(text) {
		w := strings.TrimFunc(tok, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if n := number(w); n != "" {
			numbers[n] = true
		}
		for part := range strings.FieldsFuncSeq(strings.ToLower(w), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			words[stemOf(part)] = true
			if n := number(part); n != "" {
				numbers[n] = true
			}
		}
	}
	return words, numbers
}

// number returns the digits of a token that is a number ("1,200" → "1200",
// "3.5" → "3.5", "$40m" → "40"), or "".
func number(tok string) string {
	start := strings.IndexFunc(tok, unicode.IsDigit)
	if start < 0 {
		return ""
	}
	end := start
	for end < len(tok) && (tok[end] >= '0' && tok[end] <= '9' || tok[end] == ',' || tok[end] == '.') {
		end++
	}
	return strings.TrimRight(strings.ReplaceAll(tok[start:end], ",", ""), ".")
}

func stemOf(w string) string {
	if len(w) > 3 {
		return stem.Stem(w)
	}
	return w
}
