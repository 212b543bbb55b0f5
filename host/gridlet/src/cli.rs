//! The program's entry: parses the command line ([`crate::flags`]), loads
//! the configuration and runs `gridlet serve`, an operator command (on the
//! data directory while the server is stopped, or through a running
//! server's API with `--api`), or `gridlet sim`.

use std::process::ExitCode;

use clap::Parser;

use crate::config::Config;
use crate::flags::{Cli, Command};
use crate::{commands, plugins};

/// Runs the program; returns its exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(cli.config.as_deref(), |name| std::env::var(name).ok())?;
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command {
        Command::Serve { listen } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            init_logging(&config.log.filter, &config.log.format)?;
            runtime.block_on(crate::serve::serve(config))
        }
        Command::Sim(args) => {
            init_logging("warn", "text")?;
            runtime.block_on(sim::cli::run(args))
        }
        Command::Config => {
            print!("{}", commands::render_config(&config));
            Ok(())
        }
        Command::Station(command) => runtime.block_on(commands::station(&config, cli.api.as_deref(), command)),
        Command::Token(command) => runtime.block_on(commands::token(&config, cli.api.as_deref(), command)),
        Command::Transaction(command) => runtime.block_on(commands::transaction(&config, cli.api.as_deref(), command)),
        Command::ApiKey(command) => runtime.block_on(commands::api_key(&config, cli.api.as_deref(), command)),
        Command::Plugin(command) => runtime.block_on(plugins::plugin(&config, cli.api.as_deref(), command)),
        Command::Tariff(command) => runtime.block_on(plugins::tariff(&config, cli.api.as_deref(), command)),
        Command::Send(args) => runtime.block_on(commands::send(cli.api.as_deref(), args)),
    }
}

fn init_logging(filter: &str, format: &str) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .map_err(|e| anyhow::anyhow!("invalid log filter {filter:?}: {e}"))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = if format == "json" { builder.json().try_init() } else { builder.try_init() };
    result.map_err(|e| anyhow::anyhow!("cannot set up logging: {e}"))
}
