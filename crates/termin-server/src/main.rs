use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Answers from the database arrive from threads outside the runtime (sqlx runs every SQLite
    // connection on a thread of its own), so the tasks they wake wait in the runtime's global
    // queue, which a busy worker by default looks at only every 31st task. A booking holding
    // SQLite's write lock makes four such round trips; with the global queue checked on every
    // tick it does not wait behind dozens of other requests at each of them. On this project's
    // 2-core benchmark machine this took SQLite bookings from about 650 to about 1,000 a second.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .global_queue_interval(1)
        .build()
        .expect("the async runtime starts");
    runtime.block_on(async {
        termin_server::telemetry::init();
        let cli = termin_server::cli::Cli::parse();
        match termin_server::cli::run(cli).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: {err:#}");
                std::process::ExitCode::FAILURE
            }
        }
    })
}
