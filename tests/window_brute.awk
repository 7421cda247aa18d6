# window_brute.awk - the windows of reduceByKeyAndWindow recomputed the
# slow, obvious way, for tests/window_property.bats.
#
# Input: lines "TIME KEY VALUE" (TIME whole epoch seconds under 86400, in
# any order; KEY from a set that sorts as text; VALUE an integer).
# Variables: L and S (window length and slide, whole seconds) and R, the
# reducer: sum, min, max, count, first, last, or cat for the function
# 'a .. "," .. b'.  Output: what
#   dstream --stamp --event-time '$1' --batch 1s \
#       map '($2, num($3))' then reduceByKeyAndWindow R L S
# prints: for every window end T (a multiple of S) whose window [T-L, T)
# holds records, one line "STAMP<TAB>KEY<TAB>RESULT" per key with records
# in the window, keys sorted.  Records are taken in time order, those of
# one second in input order (as the engine delivers them).
function stamp(t) {
	return sprintf("1970-01-01T%02d:%02d:%02dZ", int(t / 3600),
	    int(t % 3600 / 60), t % 60)
}
{
	t = $1 + 0
	m = ++nat[t]
	ky[t, m] = $2; vl[t, m] = $3 + 0
	if (!($2 in seen)) { seen[$2] = 1; keys[++nk] = $2 }
	if (NR == 1 || t < lo) lo = t
	if (NR == 1 || t > hi) hi = t
}
END {
	if (NR == 0)
		exit
	for (i = 2; i <= nk; i++)
		for (j = i; j > 1 && keys[j - 1] > keys[j]; j--) {
			k = keys[j]; keys[j] = keys[j - 1]; keys[j - 1] = k
		}
	# Every window end T with lo < T <= hi + L.
	for (T = (int(lo / S) + 1) * S; T <= hi + L; T += S) {
		split("", acc); split("", cnt)
		for (t = T - L; t < T; t++)
			for (m = 1; m <= nat[t]; m++) {
				k = ky[t, m]; v = vl[t, m]
				if (!(k in cnt) || R == "last") acc[k] = v
				else if (R == "sum") acc[k] += v
				else if (R == "min" && v < acc[k]) acc[k] = v
				else if (R == "max" && v > acc[k]) acc[k] = v
				else if (R == "cat") acc[k] = acc[k] "," v
				cnt[k]++
			}
		for (i = 1; i <= nk; i++) {
			k = keys[i]
			if (k in cnt)
				printf "%s\t%s\t%s\n", stamp(T), k,
				    R == "count" ? cnt[k] : acc[k]
		}
	}
}
