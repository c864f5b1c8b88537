//! Many independent network checks at once (probes of every platform, of every service):
//! a slow one does not hold up the others, and the answers come back in the jobs' order.

use std::future::Future;

/// Run every job at once on the runtime; each answer in its job's place, `None` for a job
/// that panicked or was cancelled (the caller says what that means to a person).
pub async fn all<T, F>(jobs: impl IntoIterator<Item = F>) -> Vec<Option<T>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    let mut count = 0;
    for (i, job) in jobs.into_iter().enumerate() {
        set.spawn(async move { (i, job.await) });
        count += 1;
    }
    let mut answers: Vec<Option<T>> = std::iter::repeat_with(|| None).take(count).collect();
    while let Some(done) = set.join_next().await {
        if let Ok((i, answer)) = done {
            if let Some(slot) = answers.get_mut(i) {
                *slot = Some(answer);
            }
        }
    }
    answers
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn all_run_at_once_answers_keep_their_order_and_a_panic_is_none() {
        // Each job waits for all the others: run one after the other, none would finish.
        let barrier = Arc::new(tokio::sync::Barrier::new(4));
        let jobs = [30u64, 0, 10, 99].map(|n| {
            let barrier = barrier.clone();
            async move {
                barrier.wait().await;
                assert_ne!(n, 99, "a job that panics");
                n
            }
        });
        let answers = tokio::time::timeout(Duration::from_secs(20), super::all(jobs))
            .await
            .expect("the jobs ran at once");
        assert_eq!(answers, [Some(30), Some(0), Some(10), None]);
    }
}
