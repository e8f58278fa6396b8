//! Small-count suppression (PROTECTION.md): every statistic is an aggregate, and a count of
//! fewer than the threshold (`RELAIS_STATS_MIN_COUNT`, 5 by default; 1 disables) is published
//! as null. A published total must not let a suppressed count be recomputed by difference, so a
//! second count is suppressed wherever a sum would otherwise have a single unknown.

/// The default threshold: counts from 1 to 4 are suppressed.
pub const DEFAULT_MIN_COUNT: u32 = 5;

/// A sum a reader can check: the cells `parts` add up to the cell `total` (indices into the
/// table's cells).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sum {
    pub parts: Vec<usize>,
    pub total: usize,
}

/// Which of `cells` to suppress: every count from 1 to `min_count - 1` (primary), then, until
/// none is left, a second cell in each sum with exactly one unknown — its total when one part
/// is suppressed, its smallest non-zero part when only the total is (secondary). Zeros are
/// published: they single nobody out.
pub fn suppressed(cells: &[i64], sums: &[Sum], min_count: u32) -> Vec<bool> {
    let min = i64::from(min_count);
    let mut hidden: Vec<bool> = cells.iter().map(|&c| c >= 1 && c < min).collect();
    if !hidden.iter().any(|&h| h) {
        return hidden;
    }
    loop {
        let mut changed = false;
        for sum in sums {
            let hidden_parts = sum.parts.iter().filter(|&&p| hidden[p]).count();
            match (hidden_parts, hidden[sum.total]) {
                (1, false) => {
                    hidden[sum.total] = true;
                    changed = true;
                }
                (0, true) => {
                    let smallest = sum
                        .parts
                        .iter()
                        .copied()
                        .filter(|&p| cells[p] != 0)
                        .min_by_key(|&p| cells[p]);
                    if let Some(p) = smallest {
                        hidden[p] = true;
                        changed = true;
                    }
                }
                _ => {}
            }
        }
        if !changed {
            return hidden;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(parts: &[usize], total: usize) -> Sum {
        Sum {
            parts: parts.to_vec(),
            total,
        }
    }

    /// Every sum has zero or at least two unknowns: none is recomputed by difference.
    fn safe(sums: &[Sum], hidden: &[bool]) -> bool {
        sums.iter().all(|s| {
            s.parts
                .iter()
                .chain([&s.total])
                .filter(|&&i| hidden[i])
                .count()
                != 1
        })
    }

    #[test]
    fn small_counts_are_suppressed_and_zeros_published() {
        let cells = [0, 1, 4, 5, 12];
        assert_eq!(
            suppressed(&cells, &[], 5),
            [false, true, true, false, false]
        );
        assert_eq!(suppressed(&cells, &[], 1), [false; 5], "1 disables");
    }

    #[test]
    fn a_total_never_gives_a_suppressed_part_away() {
        // 2 + 10 + 7 = 19: the 2 is suppressed, so the total is too.
        let cells = [2, 10, 7, 19];
        let sums = [sum(&[0, 1, 2], 3)];
        let hidden = suppressed(&cells, &sums, 5);
        assert_eq!(hidden, [true, false, false, true]);
        assert!(safe(&sums, &hidden));
    }

    #[test]
    fn a_small_total_hides_a_part_too() {
        // 0 + 3 + 1 = 4: the total and both non-zero parts are suppressed.
        let cells = [0, 3, 1, 4];
        let sums = [sum(&[0, 1, 2], 3)];
        let hidden = suppressed(&cells, &sums, 5);
        assert_eq!(hidden, [false, true, true, true]);
        assert!(safe(&sums, &hidden));
    }

    #[test]
    fn suppression_spreads_through_rows_and_columns_until_every_sum_is_safe() {
        // Two rows of two parts and a row total, and the column totals:
        //  a=3  b=8 | 11
        //  c=9  d=6 | 15
        //  12  14   | 26
        let cells = [3, 8, 11, 9, 6, 15, 12, 14, 26];
        let sums = [
            sum(&[0, 1], 2),
            sum(&[3, 4], 5),
            sum(&[0, 3], 6),
            sum(&[1, 4], 7),
            sum(&[2, 5], 8),
            sum(&[6, 7], 8),
        ];
        let hidden = suppressed(&cells, &sums, 5);
        assert!(hidden[0]);
        assert!(safe(&sums, &hidden), "{hidden:?}");
    }
}
