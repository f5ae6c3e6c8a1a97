//! [`ReportQueue`]: status reports waiting for their due time, on an injected clock.
//!
//! One heap for all reports (not a timer per report): pushing and popping are O(log n) and
//! a single task sleeps until [`ReportQueue::next_due`].

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::Duration;

use cmpp_codec::Deliver;

/// A report addressed to an SP account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportJob {
    /// SP account the report goes to.
    pub sp_id: Arc<str>,
    /// The DELIVER carrying the report.
    pub deliver: Deliver,
    /// Give up when still undeliverable at this time (elapsed since start).
    pub expires: Duration,
    /// Beijing date (YYYYMMDD) of the SUBMIT, for the day's QUERY counts.
    pub day: u32,
}

#[derive(Debug)]
struct Entry {
    due: Duration,
    order: u64,
    job: ReportJob,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.order) == (other.due, other.order)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and the earliest due time must come first;
        // `order` keeps equal due times first-in first-out.
        (other.due, other.order).cmp(&(self.due, self.order))
    }
}

/// Reports ordered by due time (elapsed since the simulator started), bounded in size.
#[derive(Debug)]
pub struct ReportQueue {
    heap: BinaryHeap<Entry>,
    next_order: u64,
    capacity: usize,
}

impl ReportQueue {
    /// An empty queue holding at most `capacity` reports.
    pub fn new(capacity: usize) -> Self {
        ReportQueue {
            heap: BinaryHeap::new(),
            next_order: 0,
            capacity,
        }
    }

    /// Adds a report due at `due`; gives it back (boxed) when the queue is full.
    pub fn push(&mut self, due: Duration, job: ReportJob) -> Result<(), Box<ReportJob>> {
        if self.heap.len() >= self.capacity {
            return Err(Box::new(job));
        }
        self.next_order += 1;
        self.heap.push(Entry {
            due,
            order: self.next_order,
            job,
        });
        Ok(())
    }

    /// The earliest due time, if any report waits.
    pub fn next_due(&self) -> Option<Duration> {
        self.heap.peek().map(|e| e.due)
    }

    /// Removes and returns every report due at or before `now`, earliest first.
    pub fn pop_due(&mut self, now: Duration) -> Vec<ReportJob> {
        let mut out = Vec::new();
        while self.heap.peek().is_some_and(|e| e.due <= now) {
            if let Some(e) = self.heap.pop() {
                out.push(e.job);
            }
        }
        out
    }

    /// Reports waiting.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Drops every waiting report and returns how many there were.
    pub fn clear(&mut self) -> usize {
        let n = self.heap.len();
        self.heap.clear();
        n
    }

    /// Removes and returns every waiting report, in no particular order.
    pub fn take_all(&mut self) -> Vec<ReportJob> {
        std::mem::take(&mut self.heap)
            .into_vec()
            .into_iter()
            .map(|e| e.job)
            .collect()
    }

    /// Removes and returns the waiting reports `pred` selects (a linear pass: for rare
    /// requests such as CANCEL).
    pub fn remove_where(&mut self, mut pred: impl FnMut(&ReportJob) -> bool) -> Vec<ReportJob> {
        let (gone, keep): (Vec<Entry>, Vec<Entry>) = std::mem::take(&mut self.heap)
            .into_vec()
            .into_iter()
            .partition(|e| pred(&e.job));
        self.heap = BinaryHeap::from(keep);
        gone.into_iter().map(|e| e.job).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cmpp_codec::{DeliverContent, MsgFmt, MsgId, OctetString};

    fn job(id: u64) -> ReportJob {
        ReportJob {
            sp_id: Arc::from("900001"),
            deliver: Deliver {
                msg_id: MsgId::from_u64(id),
                dest_id: OctetString::EMPTY,
                service_id: OctetString::EMPTY,
                tp_pid: 0,
                tp_udhi: 0,
                msg_fmt: MsgFmt::Ascii,
                src_terminal_id: OctetString::EMPTY,
                src_terminal_type: 0,
                content: DeliverContent::Message(bytes::Bytes::new()),
                link_id: OctetString::EMPTY,
            },
            expires: Duration::from_secs(60),
            day: 20261204,
        }
    }

    fn ids(v: Vec<ReportJob>) -> Vec<u64> {
        v.into_iter().map(|j| j.deliver.msg_id.as_u64()).collect()
    }

    #[test]
    fn pops_in_due_order_on_the_given_clock() {
        let ms = Duration::from_millis;
        let mut q = ReportQueue::new(10);
        q.push(ms(300), job(3)).unwrap();
        q.push(ms(100), job(1)).unwrap();
        q.push(ms(200), job(2)).unwrap();
        q.push(ms(100), job(11)).unwrap();
        assert_eq!(q.next_due(), Some(ms(100)));
        assert!(q.pop_due(ms(99)).is_empty(), "nothing before its time");
        assert_eq!(
            ids(q.pop_due(ms(100))),
            vec![1, 11],
            "equal times keep push order"
        );
        assert_eq!(q.next_due(), Some(ms(200)));
        assert_eq!(ids(q.pop_due(ms(1000))), vec![2, 3]);
        assert!(q.is_empty());
        assert_eq!(q.next_due(), None);
    }

    #[test]
    fn remove_where_keeps_the_rest_in_order() {
        let ms = Duration::from_millis;
        let mut q = ReportQueue::new(10);
        for i in 1..=5 {
            q.push(ms(i * 10), job(i)).unwrap();
        }
        let gone = q.remove_where(|j| j.deliver.msg_id.as_u64() % 2 == 0);
        assert_eq!(gone.len(), 2);
        assert_eq!(ids(q.pop_due(ms(1000))), vec![1, 3, 5]);
        q.push(ms(1), job(9)).unwrap();
        assert_eq!(ids(q.take_all()), vec![9]);
        assert!(q.is_empty());
    }

    #[test]
    fn bounded() {
        let mut q = ReportQueue::new(2);
        q.push(Duration::ZERO, job(1)).unwrap();
        q.push(Duration::ZERO, job(2)).unwrap();
        let back = q.push(Duration::ZERO, job(3)).unwrap_err();
        assert_eq!(back.deliver.msg_id.as_u64(), 3);
        assert_eq!(q.len(), 2);
        assert_eq!(q.clear(), 2);
        assert!(q.is_empty());
    }
}
