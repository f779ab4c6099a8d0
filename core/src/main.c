#include <stdio.h>

int main(void)
{
    printf("agendad %s\n", AGENDAD_VERSION);
    return 0;
}
