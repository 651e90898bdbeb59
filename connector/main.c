/* main.c — the atrium connector program: see cli.h. */
#include "cli.h"

int main(int argc, char **argv)
{
	return ac_cli_main(argc, argv);
}
