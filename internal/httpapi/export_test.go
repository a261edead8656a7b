package httpapi

// RouteKeys lists "METHOD pattern" of every route s serves, for the route-table test.
func RouteKeys(s *Server) ([]string, error) { return s.routeKeys() }

// HasRule reports whether the access table has an entry for key.
func HasRule(key string) bool { _, ok := routeRules[key]; return ok }

// RuleKeys lists the access table's keys.
func RuleKeys() []string {
	keys := make([]string, 0, len(routeRules))
	for k := range routeRules {
		keys = append(keys, k)
	}
	return keys
}
