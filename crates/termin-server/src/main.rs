use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    termin_server::telemetry::init();
    let cli = termin_server::cli::Cli::parse();
    match termin_server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
