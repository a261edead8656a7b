package postgis

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ChangeChannel is the NOTIFY channel on which imports, policy loads and recomputes announce
// what changed (a JSON payload).
const ChangeChannel = "ecocomp_change"

// Listen calls onChange for every change notice on ChangeChannel until ctx ends, on a dedicated
// connection made like the pool's. After every (re)connection it calls onChange("") once, since
// something may have changed while nobody listened.
func Listen(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, onChange func(payload string)) {
	ListenOn(ctx, pool, log, ChangeChannel, onChange)
}

// ListenOn is Listen on another channel.
func ListenOn(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, channel string, onChange func(payload string)) {
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize())
		}
		if err == nil {
			onChange("")
			for {
				n, werr := conn.WaitForNotification(ctx)
				if werr != nil {
					err = werr
					break
				}
				onChange(n.Payload)
			}
		}
		if conn != nil {
			conn.Close(context.WithoutCancel(ctx))
		}
		if ctx.Err() != nil {
			return
		}
		log.Warn("listener lost its connection; retrying", "channel", channel, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}
