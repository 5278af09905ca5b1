//! `head N` / `tail N` / `size` over results that arrive in result order (§2.6 emulation rule:
//! all results sorted ascending, head keeps the first N, tail the last N, output ascending).

use std::collections::VecDeque;

/// Applies a result limit to a stream of results that arrive already in result order.
#[derive(Debug, Clone)]
pub struct ResultLimit<T> {
    kind: Kind,
    /// Tail: the newest results so far (at most N).
    kept: VecDeque<T>,
    emitted: usize,
    /// Pipes after the first (`| head 4 | tail 2`), applied in order to what the first kept.
    /// With any, nothing is certain before the end, so results are held until `finish`.
    then: Vec<Then>,
}

/// A `head N` or `tail N` pipe after the first one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    /// Keep the first N.
    Head(usize),
    /// Keep the last N.
    Tail(usize),
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Unlimited,
    Head(usize),
    Tail(usize),
}

impl<T> ResultLimit<T> {
    /// No limit: every result is emitted as soon as it is offered.
    pub fn unlimited() -> Self {
        Self::with(Kind::Unlimited)
    }

    /// The first `n` results; they are emitted at once and the rest are discarded.
    pub fn head(n: usize) -> Self {
        Self::with(Kind::Head(n))
    }

    /// The last `n` results; nothing is certain before the end, so all come out at finish.
    pub fn tail(n: usize) -> Self {
        Self::with(Kind::Tail(n))
    }

    fn with(kind: Kind) -> Self {
        Self {
            kind,
            kept: VecDeque::new(),
            emitted: 0,
            then: Vec::new(),
        }
    }

    /// Adds the pipes that follow the first one, applied in order at `finish`.
    #[must_use]
    pub fn then(mut self, pipes: Vec<Then>) -> Self {
        self.then = pipes;
        self
    }

    /// Offers the next result; returns it if it is certain to be part of the answer now.
    pub fn offer(&mut self, item: T) -> Option<T> {
        match self.kind {
            Kind::Unlimited | Kind::Head(_) if !self.then.is_empty() => {
                if !self.is_complete() {
                    self.kept.push_back(item);
                }
                None
            }
            Kind::Unlimited => {
                self.emitted += 1;
                Some(item)
            }
            Kind::Head(n) if self.emitted < n => {
                self.emitted += 1;
                Some(item)
            }
            Kind::Head(_) => None,
            Kind::Tail(0) => None,
            Kind::Tail(n) => {
                if self.kept.len() == n {
                    self.kept.pop_front();
                }
                self.kept.push_back(item);
                None
            }
        }
    }

    /// Whether no further result can be emitted (a reached `head`): callers may stop early.
    pub fn is_complete(&self) -> bool {
        matches!(self.kind, Kind::Head(n) if self.emitted + self.kept.len() >= n)
    }

    /// Ends the stream and returns the held results (the `tail`), ascending.
    pub fn finish(&mut self) -> Vec<T> {
        let mut out: Vec<T> = self.kept.drain(..).collect();
        for pipe in &self.then {
            match *pipe {
                Then::Head(n) => out.truncate(n),
                Then::Tail(n) => {
                    let excess = out.len().saturating_sub(n);
                    out.drain(..excess);
                }
            }
        }
        self.emitted += out.len();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mut limit: ResultLimit<u32>, items: &[u32]) -> Vec<u32> {
        let mut out: Vec<u32> = items.iter().filter_map(|&i| limit.offer(i)).collect();
        out.extend(limit.finish());
        out
    }

    #[test]
    fn head_tail_unlimited() {
        let items = [1, 2, 3, 4, 5];
        assert_eq!(run(ResultLimit::unlimited(), &items), items);
        assert_eq!(run(ResultLimit::head(2), &items), [1, 2]);
        assert_eq!(run(ResultLimit::tail(2), &items), [4, 5]);
        assert_eq!(run(ResultLimit::tail(9), &items), items);
        assert!(run(ResultLimit::tail(0), &items).is_empty());
        assert!(run(ResultLimit::head(0), &items).is_empty());
    }

    #[test]
    fn later_pipes_apply_in_order_to_what_the_first_kept() {
        let items = [1, 2, 3, 4, 5, 6];
        assert_eq!(
            run(ResultLimit::head(4).then(vec![Then::Tail(2)]), &items),
            [3, 4]
        );
        assert_eq!(
            run(ResultLimit::tail(4).then(vec![Then::Head(2)]), &items),
            [3, 4]
        );
        assert_eq!(
            run(ResultLimit::tail(9).then(vec![Then::Head(2)]), &items[..1]),
            [1]
        );
        assert_eq!(
            run(
                ResultLimit::head(5).then(vec![Then::Tail(3), Then::Head(1)]),
                &items
            ),
            [3]
        );
        assert_eq!(
            run(ResultLimit::unlimited().then(vec![Then::Tail(1)]), &items),
            [6]
        );
    }
}
